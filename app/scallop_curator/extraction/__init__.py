"""Turning user turns into proposed facts: prompt, template rendering, engine, worker process."""
