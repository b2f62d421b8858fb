"""Writes tijian.xlsx, the Excel fixture of the sheet crate's tests and the import tests.

Made once with openpyxl 3.1.5 (PyPI): `pip install openpyxl==3.1.5 && python3 make_tijian_xlsx.py`.
It holds the same check-up export as tijian.csv, except that the first examination date is a real
Excel date cell (a serial number with a date format), as Excel itself writes one, so the reader's
date-cell path is tested; everything else is text or numbers, as typed by a check-up centre.
"""
import datetime
import openpyxl

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "体检结果"
ws.append(["体检号", "姓名", "性别", "出生日期", "身份证号", "手机号", "体检日期",
           "收缩压", "舒张压", "腰围", "空腹血糖", "总胆固醇(mg/dL)"])
ws.append(["TJ0001", "张伟", "男", "1956-03-02", "110105195603021237", "13812345678",
           datetime.datetime(2024, 3, 5, 8, 15), 152, 96, 92, 7.3, 232])
ws.append(["TJ0002", "李娜", "女", "1961/8/15", "110105196108152429", "139 0000 1111",
           "2024年3月6日", 118, 76, 78, 5.1, 181])
ws.append(["TJ0003", "王强", "男", "19700101", "310104197001010012", "021-6543 2100",
           "2024/03/07 09:30", 135, None, None, "阴性", 190])
ws.append(["TJ0004", "赵敏", "女", "1980-01-01", None, "13700000000", "2024-03-08",
           128, 82, 80, 5.4, 999])
ws.append([None, None, None, None, None, None, "2024-03-08", 120, 80, None, None, None])
wb.save("tijian.xlsx")
