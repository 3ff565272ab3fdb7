"""`cirrhosis-staging evaluate --data RELEASE`: per-patient staging figures on a held-out split."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..staging.stages import STAGES


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="evaluate the staging model on a release split (per patient), with a biomarker baseline",
        description="Per-patient accuracy, macro-F1, one-vs-rest AUC, quadratic Cohen's kappa, calibration error "
                    "and confusion matrix on a split of a CirrMRI600+ release (the release's masks as input; healthy "
                    "subjects as stage none): over the 4 classes, over the 3 stages among cirrhotic patients, and "
                    "cirrhosis vs none (AUC, sensitivity, specificity); per "
                    "sequence too, a slice-weighted accuracy only for comparison with per-slice papers, and a "
                    "logistic-regression baseline on the biomarkers trained on the train split.")
    parser.add_argument("--data", required=True, help="CirrMRI600+ release folder (or phantom output)")
    parser.add_argument("--split", default="test", choices=("train", "valid", "test", "all"))
    parser.add_argument("--baseline-train", metavar="RELEASE",
                        help="fit the biomarker baseline on this release's train split (default: --data); use the "
                             "staging model's training data when --data is a separate held-out release")
    parser.add_argument("--run", help="evaluate an unpublished training run folder (config.json + best.pt)")
    parser.add_argument("--model", help="staging model name in the manifest (default: newest)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the biomarker baseline")
    parser.add_argument("--json", help="write the figures to this JSON file")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..devices import select_device
    from ..evaluation.staging_evaluation import evaluate_staging

    if args.json:
        from ..io.output_checks import check_output_file

        check_output_file(args.json, overwrite=True)   # before minutes of evaluating, not after
    device = select_device(args.device)
    network, name = _network(args, device)
    result = evaluate_staging(network, args.data, args.split, device, baseline=not args.no_baseline,
                              baseline_train_root=args.baseline_train)
    result["model"] = name
    _print(result)
    if args.json:
        from ..io.atomic import atomic_path

        with atomic_path(args.json) as temporary:
            temporary.write_text(json.dumps(result, indent=2))
    return 0


def _network(args, device):
    if args.run:
        from ..models.torch_files import load_state_into, load_torch_file
        from ..staging.network import build_staging_network

        config = _run_config(Path(args.run))
        weights = Path(args.run) / "best.pt"
        state = load_torch_file(weights)   # before building: a refused file costs nothing
        try:
            network = build_staging_network(config["architecture"])
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(Path(args.run) / "config.json", f"has no usable staging architecture ({error})") from None
        load_state_into(network, state, weights)
        return network.to(device), f"run {args.run}"
    from ..staging.inference import load_stager

    stager = load_stager(str(device), args.model)
    return stager.network, stager.entry.key


def _run_config(run: Path) -> dict:
    path = run / "config.json"
    if not path.is_file():
        raise InputError(run, "is not a training run folder (no config.json)")
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"cannot be read as JSON ({error})") from None
    if not isinstance(config, dict):
        raise InputError(path, "is not a training configuration (expected a JSON object)")
    return config


def _print(result: dict) -> None:
    patient = result["per_patient"]
    stages = result.get("model_stages") or list(STAGES)
    print(f"model: {result['model']}   split: {result['split']}   patients: {patient['patients']}")
    rows = [(f"staging model ({len(stages)} classes)", patient)]
    if "cirrhotic_3_class" in result:
        rows.append(("  3 stages among cirrhotic", result["cirrhotic_3_class"]))
    baseline = result.get("biomarker_baseline")
    if baseline:
        rows.append(("biomarker baseline (4 classes)", baseline))
        if "cirrhotic_3_class" in baseline:
            rows.append(("  3 stages among cirrhotic", baseline["cirrhotic_3_class"]))
    print(f"{'per patient':34} {'accuracy':>9} {'macro-F1':>9} {'kappa(q)':>9} {'AUC':>7} {'ECE':>6}")
    for label, report in rows:
        print(f"{label:34} {report['accuracy']:>9.3f} {report['macro_f1']:>9.3f} {report['quadratic_kappa']:>9.3f} "
              f"{report['auc_one_vs_rest']['macro']:>7.3f} {report['expected_calibration_error']:>6.3f}")
    binary = [(name, r["cirrhosis_vs_none"]) for name, r in (("staging model", result), ("biomarker baseline",
                                                                                       baseline or {}))
              if "cirrhosis_vs_none" in r]
    if binary:
        print(f"{'cirrhosis vs none':34} {'AUC':>9} {'sensitiv.':>9} {'specific.':>9}   (positives / negatives)")
        for name, report in binary:
            print(f"{name:34} {report['auc']:>9.3f} {report['sensitivity']:>9.3f} {report['specificity']:>9.3f}   "
                  f"({report['positives']} / {report['negatives']})")
    for sequence, report in result["per_sequence"].items():
        print(f"{sequence.upper() + 'W only (per patient)':34} {report['accuracy']:>9.3f} {report['macro_f1']:>9.3f} "
              f"{report['quadratic_kappa']:>9.3f}   (n={report['patients']})")
    print(f"slice-weighted accuracy (for comparison with per-slice papers only): {result['per_slice_accuracy']:.3f}")
    print("confusion matrix (rows truth, columns predicted): " + " ".join(stages))
    for name, counts in zip(stages, patient["confusion_matrix"]["counts"]):
        print(f"  {name:>9} " + " ".join(f"{c:>8d}" for c in counts))
