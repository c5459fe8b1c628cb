"""What every part of instore shares and the cipher does not use: the error type every surface
reports (`errors`), the helpers every command line prints with (`cli`), and the signed form of a
device's event that the terminal writes and the server checks (`event_form`).

It sits inside codes/ because codes is the bottom layer, the one package the terminal, sync, the
server, the POS plugin and the kiosk may all import. It imports nothing of the project.
"""
