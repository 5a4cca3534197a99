import * as XLSX from '@e965/xlsx';
import * as cptable from '@e965/xlsx/dist/cpexcel.full.mjs';

// Excel 95 (BIFF5) and WPS workbooks store strings in the system code page (936, GBK, on
// Chinese Windows); without the code page tables SheetJS would hand back mojibake.
XLSX.set_cptable(cptable);

/** SheetJS, with its code pages loaded. One place imports it so the tables are always set. */
export { XLSX };
