"""Consultations scored at intake and the doctors' decisions on them: the SQLite store the
service writes and `python -m training export-feedback` reads. Torch-free, and free of the HTTP
layer: service/ and training/ both import it, it imports neither."""

from consultations.store import ConsultationConflict, ConsultationStore, FeedbackConflict

__all__ = ["ConsultationConflict", "ConsultationStore", "FeedbackConflict"]
