"""Prescription safety checker (torch-free): knowledge base + learned interaction model."""

from prescription.predictor import PrescriptionPredictor
from prescription.schema import CheckRequest, CheckResult

__all__ = ["CheckRequest", "CheckResult", "PrescriptionPredictor"]
