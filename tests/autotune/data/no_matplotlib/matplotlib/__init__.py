# Stands in for an absent python3-matplotlib: plot_tuning.py must say so and exit 2.
raise ImportError("No module named 'matplotlib'", name="matplotlib")
