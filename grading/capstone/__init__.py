"""The capstone: train a GPT to a target test loss within a budget, graded from evidence.

    make capstone tier=smoke impl=solutions     # python -m grading capstone --tier smoke --impl solutions
    make capstone resume=RUN                     # continue an interrupted run from its last checkpoint
    make capstone-grade                          # python -m grading capstone-grade [--run ID]

Modules, one idea each, in an order where none imports a later one: record (run folders, the sealed record,
hashes: the one owner of the layout), tiers (capstone.toml, devices, budgets), plot (the picture), grade
(the evidence and the verdict), preflight (the device's attention keeps the future out), run (the engine that
spawns, times and watches the trainer).
`python -m grading.capstone` is the trainer's side (__main__.py), which the engine spawns.
"""
