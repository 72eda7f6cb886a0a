"""llama.cpp backend for qframe: GGUF inspection, quant ladders and a synchronous engine.

The modules here import llama_cpp, gguf and numpy only inside their functions, so importing
this package costs nothing until a model is inspected, quantized or loaded.
"""
