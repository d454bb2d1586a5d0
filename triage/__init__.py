"""Triage: a patient's complaint -> suggested departments, urgency and red flags (torch-free)."""

from triage.predictor import TriagePredictor
from triage.schema import DepartmentScore, ModelRef, TriageRequest, TriageResult

__all__ = ["DepartmentScore", "ModelRef", "TriagePredictor", "TriageRequest", "TriageResult"]
