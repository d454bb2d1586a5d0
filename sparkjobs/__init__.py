"""Spark jobs: batch scoring of the three tasks and the recommender's co-occurrence training.

Needs the `[spark]` extra (pyspark, pandas, pyarrow) and Java 17. The scoring jobs stay
torch-free: a worker runs the same torch-free predictor as the CLIs, through
`runtime.frames.FrameScorer`.
"""
