// Progressive enhancement only: every core action works without JavaScript.
import { initAll } from "../govuk-frontend/govuk-frontend.min.js";
document.body.classList.add("govuk-frontend-supported", "js-enabled");
initAll();
