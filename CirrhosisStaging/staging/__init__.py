"""Cirrhosis staging from T1W and/or T2W with their liver masks: inputs, network, inference, attention."""
