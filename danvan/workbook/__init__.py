"""The unit's workbook in one room: its layout and reading (``layout``) and its drawing with
openpyxl (``draw``)."""
