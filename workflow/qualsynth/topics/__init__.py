"""Stage 3b: inductive topic modelling (BERTopic) on de-identified participant segments.

Modules: ``embeddings`` (model2vec / tfidf_svd back ends), ``model`` (seeded BERTopic),
``quality`` (NPMI, diversity, outliers, stability), ``tables``, ``report``, ``pipeline`` (the
stage end to end), ``cli``; ``distill`` is the stand-alone build script of the static model.
"""
