"""Fidelity of each variant to its baseline, measured per token position.

- :mod:`.positions`: the ``teacher_forced`` comparison (the variant scores the baseline's own
  tokens; KL with the tail bounded by exact masses, top-1 agreement, log-probability change);
- :mod:`.topk`: the ``shared_prefix`` comparison from two stored top-k lists;
- :mod:`.rows`: builds a backend's :class:`~qframe.plugin_api.protocols.TeacherForcedScores` from full
  log-softmax rows;
- :mod:`.stage`: the run stage that stores both sides in the ``fidelity`` table.

numpy is imported inside functions only, so importing this package stays light.
"""
