"""OnnxModel: one onnxruntime session, checked against the manifest's inputs and outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from runtime.bundle import TensorSpec
from runtime.errors import SchemaMismatch

# onnxruntime reports element types as 'tensor(float)'; manifests use numpy names.
_ORT_TO_NUMPY = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(bool)": "bool",
}


class OnnxModel:
    """A single ONNX graph behind an onnxruntime InferenceSession.

    Thread counts come from the caller (service settings or batch CLI flags), never from the
    environment: one thread per request keeps latency predictable when a server runs several
    workers on few cores.

    Args:
        path: the .onnx file.
        inputs: the input specs the manifest declares; names and dtypes must match the graph.
        outputs: the output specs the manifest declares.
        intra_op_threads: threads inside one operator.
        inter_op_threads: threads across operators.
    """

    def __init__(
        self,
        path: str | Path,
        inputs: list[TensorSpec],
        outputs: list[TensorSpec],
        intra_op_threads: int = 1,
        inter_op_threads: int = 1,
    ) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = Path(path)
        self.session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_names = [spec.name for spec in inputs]
        self.output_names = [spec.name for spec in outputs]
        _check(self.path, "input", inputs, self.session.get_inputs())
        _check(self.path, "output", outputs, self.session.get_outputs())

    def run(self, feeds: dict[str, np.ndarray], names: list[str] | None = None) -> list[np.ndarray]:
        """Run the graph and return the outputs in manifest order (or only `names`, in that
        order: onnxruntime then skips the nodes only the other outputs need)."""
        return list(self.session.run(names or self.output_names, feeds))


def _check(path: Path, kind: str, declared: list[TensorSpec], actual: list[ort.NodeArg]) -> None:
    actual_specs = {arg.name: _ORT_TO_NUMPY.get(arg.type, arg.type) for arg in actual}
    declared_specs = {spec.name: spec.dtype for spec in declared}
    if kind == "output":
        missing = set(declared_specs) - set(actual_specs)
        actual_specs = {name: actual_specs[name] for name in declared_specs if name in actual_specs}
    else:
        missing = set(declared_specs) ^ set(actual_specs)
    if missing or actual_specs != declared_specs:
        raise SchemaMismatch(
            f"{path}: graph {kind}s {actual_specs} do not match the manifest's {declared_specs}"
        )
