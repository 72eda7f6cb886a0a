"""What a plugin author imports: the interfaces plugins implement and the value types that
cross them (:mod:`.protocols`), the hook specifications (:mod:`.hookspecs`), the errors
(:mod:`.errors`) and the plugin manager with ``lazy`` factories (:mod:`.plugins`).

Nothing here imports from the rest of qframe: these modules are the bottom layer.
"""
