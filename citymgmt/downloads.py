"""A table as a CSV or XLSX download, one way for every page that offers one."""

import csv
import io

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_download(fmt: str, header: list, rows: list, name: str, sheet_title: str) -> HttpResponse:
    # A cell starting with = + - @ is a formula to a spreadsheet: text from the database is kept text.
    safe = [[f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in r] for r in rows]
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 CSV as Chinese only with a BOM
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(safe)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(sheet_title)
        sheet.append(header)
        for r in safe:
            sheet.append(r)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
