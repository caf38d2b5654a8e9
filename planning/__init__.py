"""Capacity planning engine: pure Python and numpy, vectorised over N plans x H hours."""
from planning.analysis import Analysis, analyze, analyze_batch, analyze_each, recommend_each
from planning.errors import PlanValidationError
from planning.forecast import Forecast, ForecastBatch
from planning.jsonable import to_jsonable
from planning.plan import Plan, PlanBatch
from planning.portfolio import Portfolio, build_portfolio
from planning.recommendation import Recommendation, recommend, recommend_batch

__all__ = [
    "Analysis", "Forecast", "ForecastBatch", "Plan", "PlanBatch", "PlanValidationError", "Portfolio",
    "Recommendation", "analyze", "analyze_batch", "analyze_each", "build_portfolio", "recommend",
    "recommend_batch", "recommend_each", "to_jsonable",
]
