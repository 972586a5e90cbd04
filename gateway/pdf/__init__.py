"""PDF handling for what the gateway makes of a produced file: opening it within bounds,
and (in the modules beside this one) branding, redaction and the forensic watermark."""
