"""capplan: capacity planning service (configuration, logging, command line)."""
