"""Model files on disk: the native safetensors + JSON pair, and the original service's three files.

Native: ``model.safetensors`` (state_dict) and ``model.json`` (hyperparameters, normalisation,
quantiles, training fingerprint, backtest metrics, hour-of-week profile). The network is rebuilt
with ``cls(**hparams)`` and ``load_state_dict(strict=True)``; nothing is unpickled.

Original: ``attention_lstm.pth`` (read with ``torch.load(weights_only=True)``), ``target_scaler.pkl``
and ``time_scaler.pkl`` (joblib pickles, loaded only when listed in ``MANIFEST.sha256`` or allowed).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from models.network import LegacyAttentionLSTM, MultiHorizonForecaster

WEIGHTS_FILE = "model.safetensors"
META_FILE = "model.json"
LEGACY_WEIGHTS, TARGET_SCALER, TIME_SCALER = "attention_lstm.pth", "target_scaler.pkl", "time_scaler.pkl"
MANIFEST_FILE = "MANIFEST.sha256"
FORMAT = "capplan-forecaster/1"


class ArtifactError(Exception):
    """A model directory is missing, incomplete or refused; the message says why."""


def public_error(exc: Exception, model_dir: Path) -> str:
    """Why a model did not load, naming files inside the model directory but never a folder of the machine.

    The message travels to /api/health and to failed jobs; MODEL_DIR says where the directory is.
    """
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or type(exc).__name__}: {Path(os.fsdecode(exc.filename)).name}"
    text = str(exc)
    for folder in sorted({str(model_dir), str(model_dir.resolve())}, key=len, reverse=True):
        text = text.replace(folder + os.sep, "").replace(folder, "the model directory")
    return text


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact_kind(model_dir: Path) -> str | None:
    if (model_dir / META_FILE).is_file() and (model_dir / WEIGHTS_FILE).is_file():
        return "multi_horizon"
    if (model_dir / LEGACY_WEIGHTS).is_file():
        return "legacy_onestep"
    return None


def save_native(model: MultiHorizonForecaster, meta: dict, model_dir: str | os.PathLike) -> Path:
    """Write weights and metadata; ``meta`` gets the format, class and hyperparameters added."""
    out = Path(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS_FILE))
    os.chmod(out / WEIGHTS_FILE, 0o644)                           # served by other users' processes too
    full = {"format": FORMAT, "class": type(model).__name__, "hparams": model.hparams, **meta}
    full["weights_sha256"] = sha256_of(out / WEIGHTS_FILE)
    (out / META_FILE).write_text(json.dumps(full, indent=1) + "\n")
    return out


def load_native(model_dir: Path, device: torch.device) -> tuple[MultiHorizonForecaster, dict]:
    try:
        meta = json.loads((model_dir / META_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{META_FILE} is unreadable: {exc}") from None
    if meta.get("format") != FORMAT or meta.get("class") != MultiHorizonForecaster.__name__:
        raise ArtifactError(f"{META_FILE} is not a {FORMAT} {MultiHorizonForecaster.__name__} file")
    try:
        model = MultiHorizonForecaster(**meta["hparams"])
        model.load_state_dict(load_file(str(model_dir / WEIGHTS_FILE)), strict=True)
    except (KeyError, TypeError, RuntimeError, OSError, ValueError) as exc:
        raise ArtifactError(f"{WEIGHTS_FILE} does not match {META_FILE}: {exc}") from None
    return model.to(device).eval(), meta


def _manifest(model_dir: Path) -> dict[str, str]:
    """File name -> SHA-256 from a ``sha256sum``-format manifest (empty when there is none)."""
    path = model_dir / MANIFEST_FILE
    if not path.is_file():
        return {}
    listed = {}
    for line in path.read_text().splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2:
            listed[parts[1].lstrip("*").strip()] = parts[0].lower()
    return listed


def check_pickle_allowed(model_dir: Path, name: str, allow_unsafe_pickle: bool) -> None:
    if allow_unsafe_pickle:
        return
    listed = _manifest(model_dir).get(name)
    if listed is None:
        raise ArtifactError(f"{name} is not listed in {MANIFEST_FILE} beside it; a pickle runs code when "
                            f"loaded, so list its SHA-256 there or set ALLOW_UNSAFE_PICKLE=true")
    if listed != sha256_of(model_dir / name):
        raise ArtifactError(f"{name} does not match its SHA-256 in {MANIFEST_FILE}; refusing to unpickle it")


def load_legacy(model_dir: Path, device: torch.device, allow_unsafe_pickle: bool):
    """(network, target_scaler, time_scaler) of the original service; scalers only when trusted."""
    for name in (LEGACY_WEIGHTS, TARGET_SCALER, TIME_SCALER):
        if not (model_dir / name).is_file():
            raise ArtifactError(f"{name} is missing from the model directory")
    try:
        state = torch.load(model_dir / LEGACY_WEIGHTS, map_location="cpu", weights_only=True)
        lstm_layers = sum(1 for k in state if k.startswith("lstm.weight_ih_l") and not k.endswith("_reverse"))
        hidden, inputs = state["lstm.weight_hh_l0"].shape[1], state["lstm.weight_ih_l0"].shape[1]
        model = LegacyAttentionLSTM(input_size=inputs, hidden_size=hidden, num_layers=lstm_layers)
        model.load_state_dict(state, strict=True)
    except Exception as exc:  # torch raises many types for a foreign or corrupt file
        raise ArtifactError(f"{LEGACY_WEIGHTS} is not the original network's state_dict: {exc}") from None
    scalers = []
    for name, columns in ((TARGET_SCALER, 3), (TIME_SCALER, 2)):
        check_pickle_allowed(model_dir, name, allow_unsafe_pickle)
        import joblib  # only here: the native path never unpickles
        try:
            scaler = joblib.load(model_dir / name)
        except Exception as exc:
            raise ArtifactError(f"{name} could not be loaded: {exc}") from None
        if getattr(scaler, "n_features_in_", None) != columns or not hasattr(scaler, "min_"):
            raise ArtifactError(f"{name} is not a fitted MinMaxScaler on {columns} columns")
        scalers.append(scaler)
    return model.to(device).eval(), scalers[0], scalers[1]
