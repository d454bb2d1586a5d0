"""Cart recommender (torch-free): item-graph or sequential ONNX scoring plus a safety filter."""

from recommend.predictor import RecommendPredictor
from recommend.schema import Recommendation, ScoreRequest, ScoreResult, Suppressed

__all__ = ["RecommendPredictor", "Recommendation", "ScoreRequest", "ScoreResult", "Suppressed"]
