"""One module per `perfloop` subcommand; each exposes `command`."""
