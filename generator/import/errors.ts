import { EsxViError } from "../../runtime/errors.js";

/** Something in the WSDL or the reference pages that the importer cannot map. */
export class ImportError extends EsxViError {}
