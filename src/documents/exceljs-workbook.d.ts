// The Workbook class alone (see xlsx-reader.ts); exceljs types only its package entry.
declare module 'exceljs/lib/doc/workbook.js' {
  const Workbook: typeof import('exceljs').Workbook;
  export default Workbook;
}
