"""The bureau's reports: a period's services, money, supervision and alarms, as a page, a
workbook and an A4 print, for the district, a street or a provider."""
