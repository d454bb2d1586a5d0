"""Triage: a patient's complaint -> suggested departments, urgency and red flags (torch-free)."""

from runtime.schema import ModelRef
from triage.predictor import TriagePredictor
from triage.schema import DepartmentScore, TriageRequest, TriageResult

__all__ = ["DepartmentScore", "ModelRef", "TriagePredictor", "TriageRequest", "TriageResult"]
