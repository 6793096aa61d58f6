"""The coverage page analysts open after each build (``fzzf serve``): a small HTTP server on 127.0.0.1 over the
published warehouse, read-only, with one page in Chinese (``static/``) and the JSON endpoints it draws from."""
