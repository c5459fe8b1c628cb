"""Codes: the FF1 cipher, code layout and text, check symbol, campaign keys, minting and printing.

Pure: no I/O except the files it is asked to write. Imports nothing else of the project.
"""
