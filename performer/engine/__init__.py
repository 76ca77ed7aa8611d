"""The engine layer: one registry snapshot per frame drives ablation, drift and every other
automation, runs the generator and posts a Frame that carries the values it was made with.

Imports: models and the bottom modules (params, controls, frame, mailbox, env).
"""
