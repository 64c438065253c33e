"""The unit's workbook in one room: its layout and identity (``layout``), its reading
(``read``) and its drawing with openpyxl (``draw``)."""
