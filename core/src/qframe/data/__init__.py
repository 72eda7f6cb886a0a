"""Data helpers every layer above may use: qframe's cache folders (:mod:`.cache`), data files
(:mod:`.datafiles`), reference answers (:mod:`.references`), the tables' item keys
(:mod:`.records`), Hugging Face checkpoint facts (:mod:`.hf_checkpoint`), model shapes
(:mod:`.model_shape`) and the machine a run is on (:mod:`.hardware`).
"""
