"""Speech in: the microphone or a file, cut into utterances, decoded against the command words.

endpoint.py finds utterances (webrtcvad), recognizer.py decodes one against a grammar of the
commands on offer or a loop of phones (pocketsphinx), stream.py joins the two, 20 ms at a time,
for a microphone (mic.py) and for files (files.py) alike.
"""
