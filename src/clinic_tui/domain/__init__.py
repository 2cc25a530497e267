"""Plain typed clinical models and rules: no Textual, no SQL, no HTTP."""
