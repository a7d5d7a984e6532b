"""The recognizers, one class per detector (composed in ``qualsynth.deid.registry``).

Layers (see the issue): 1 register names (``register``), 2 corpus propagation
(``propagation``, added in a second pass by the engine), 3 UK and generic identifier
patterns (``patterns``), 4 gazetteers and organisation patterns (``gazetteer``,
``organisations``), plus spaCy NER (``ner``) and titled names. Layer 5, the allow-list,
is a step after the recognizers (``qualsynth.deid.allowlist``).
"""
