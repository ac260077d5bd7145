"""evolve-bot: the bot core — store, signals, learner, gate, GitHub client, journal and CLI."""
