"""The API's request schemas (pydantic v2): one definition for validation and for /api/openapi.json."""
from api.schemas.requests import AnalysisRequest, BatchPlan, BatchRequest, ForecastRequest, PlanRequest

__all__ = ["AnalysisRequest", "BatchPlan", "BatchRequest", "ForecastRequest", "PlanRequest"]
