"""Command-line list arguments shared by the bench scripts (throughput_table.py,
torch_gpu_bench.py, noise_probe.py): "1,8,32" -> [1, 8, 32], positive integers only."""
import argparse


def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"want comma-separated integers, got '{text}'")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"want positive integers, got '{text}'")
    return values
