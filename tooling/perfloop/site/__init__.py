"""The site: an MkDocs plugin that publishes the OKR tree, progress and (restricted) results.

Pages are generated at build time from `cycles/`; nothing generated is committed. Every
value from a YAML file is untrusted text and goes through `markup` before it reaches a page.
"""
