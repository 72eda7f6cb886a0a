"""Exception types shared by core and plugins.

Each error carries a one-line message meant for the user; the CLI prints it without a traceback.
:func:`first_line` turns any other exception (a library's) into the line such a message quotes.
"""


def first_line(exc: BaseException, with_type: bool = False) -> str:
    """The first line of ``exc``'s message (its type's name when it has none); ``with_type``
    puts the type first, ``ConnectionError: Couldn't reach ...``."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if with_type:
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text or type(exc).__name__


class QframeError(Exception):
    """Base of every error qframe reports to the user as one line."""

    exit_code = 1


class ConfigError(QframeError):
    """The experiment configuration is invalid: names the key path and the allowed values."""

    exit_code = 2


class PluginError(QframeError):
    """A plugin failed to load, or two plugins registered the same name."""

    exit_code = 2


class UnknownPluginError(ConfigError):
    """A configuration refers to a name no installed plugin provides."""


class BadInputError(QframeError):
    """A data file, model file or other input is malformed."""

    exit_code = 2


class RunStateError(QframeError):
    """A stored run cannot be continued as asked (missing manifest, changed model weights...)."""

    exit_code = 2


class StoreWriteError(QframeError):
    """Rows could not be written durably (disk full, permission): the run stops, nothing flushed is lost."""


class RunLockedError(RunStateError):
    """Another live process is writing the same run directory."""


class BackendError(QframeError):
    """A backend call failed permanently; retrying will not help."""


class EngineCrashedError(BackendError):
    """A native engine's process died (a fault, an abort, an out-of-memory kill).

    The variant's remaining items are stored with this error and the other variants go on;
    ``qframe resume`` runs them again in a fresh engine.
    """


class TransientBackendError(BackendError):
    """A backend call failed in a way that may succeed when retried (server error, overload)."""


class BackendTimeout(TransientBackendError):
    """A backend call did not answer in time."""


class BackendResponseError(TransientBackendError):
    """A backend answered with a reply that cannot be parsed (garbage, truncated JSON)."""


class MissingDependencyError(QframeError):
    """A plugin factory needs a library that is not installed; says what to install."""

    exit_code = 2


class MissingCapabilityError(ConfigError):
    """A backend cannot do what the experiment asks of it (e.g. score a given text over HTTP).

    The message names the backend, the capability and what to do instead; raised before a run
    starts (from a backend's ``preflight``) or by the call itself, never silently worked around.
    """
