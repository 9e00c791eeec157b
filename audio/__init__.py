import privacy  # noqa: F401  first: onnxruntime (faster-whisper's VAD) must never load with telemetry on
