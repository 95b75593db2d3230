"""``/logged-models/search``: flowtrack keeps no MLflow 3 logged models yet, so every search is empty.

The mlflow client searches logged models whenever it lists or downloads a run's artifacts below the root
(a path might name a model logged by the run); an empty answer lets those calls go on to the run's files.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from flowtrack.server.responses import empty

router = APIRouter(prefix="/logged-models", tags=["logged models"])


@router.post("/search")
async def search_logged_models() -> Response:
    return empty()
