"""``descend play``: the browser playground's server (FastAPI) and its page (``static/``).

``create_app()`` builds the app; ``descend play`` serves it with uvicorn. Installs with
``pip install 'descend[web]'``.
"""

from descend.web._app import create_app

__all__ = ["create_app"]
