"""Getting scallopmemory-1 from the Hugging Face Hub and knowing what a GGUF file is before loading
it. Qt-free: the window and the headless CLI both use it."""
