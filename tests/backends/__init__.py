"""Remote backend tests: protocol doubles and a real OpenAI-compatible server process."""
