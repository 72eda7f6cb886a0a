"""The pipeline a run goes through: tasks and models checked (:mod:`.preparation`), items
planned (:mod:`.plan`) and run by an executor (:mod:`.executors`, :mod:`.runner`), stopped when
decided (:mod:`.stopping`), fidelity, scoring and judging (:mod:`.fidelity_stage`,
:mod:`.stages`), the run directory and its single writer (:mod:`.session`, :mod:`.writer`,
:mod:`.runlock`), variants that are the same model (:mod:`.aliases`), progress display, and
core's own plugin registering the ``local`` executor (:mod:`.builtins`).
"""
