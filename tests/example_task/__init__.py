"""A fourth task written the way a newcomer would: its own package plus one task-table entry.

`tests/training/test_fourth_task.py` registers it and drives it through the training CLI, the
pipeline tail, promotion, the frame scorer and the service's model slots without touching any
of them. The task: a complaint's length in characters, scored by a one-node ONNX graph (a scale
learned as the mean length of the training texts), so that everything but the task is real.
"""
