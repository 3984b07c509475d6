"""Test doubles: the scripted model and judge, their Inspect provider, and a stub HTTP server.

They let a dry run and the tests go through the whole pipeline with no network, key or
tokenizer. Production code never imports them; the Inspect entry point registers the
`scripted` provider so that `--model scripted/faker` works for users too.
"""
