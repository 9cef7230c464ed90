"""Delivery to the e-archive: E-ARK Submission Information Packages (SIPs).

FGS Paketstruktur 2.0 is E-ARK CSIP 2.1.0 plus SIP 2.1.0. :func:`deliver` writes one SIP per
account and period (:mod:`.package`), and records each delivery in the archive
(:mod:`.record`). A SIP holds:

* ``METS.xml`` (:mod:`.mets`): the package's identity, type, profile and content information
  type, the submission agreement, the agents (the organisation, the board, the software), and
  every file with its size and SHA-256;
* ``metadata/descriptive/description.xml`` (:mod:`.description`): the account, the board, the
  period, the retention class, from the inventory; items under secrecy marking flagged;
* ``metadata/preservation/premis.xml`` (:mod:`.premis`): every file as a PREMIS object with its
  fixity, the nights' captures as events with their agents and outcomes, the run manifests, their
  signatures and timestamps as events; beside it the manifests themselves (with ``.sig`` and
  ``.tsr`` where the store holds them) and the public keys;
* ``representations/warc/data/``: the WARC files, the master, copied byte for byte;
  ``representations/metadata/data/``: the items and runs Parquet parts as stored;
  ``representations/renditions/data/``: an HTML rendition of each thread;
* ``schemas/``: the XML schemas the metadata uses;
* ``documentation/`` (:mod:`.documentation`): a system description and a data dictionary for
  the *arkivredovisning*.
"""

from archive_lib.delivery.package import DeliveryRequest, DeliveryResult, deliver

__all__ = ["DeliveryRequest", "DeliveryResult", "deliver"]
