"""Every stored geometry is WGS-84 longitude/latitude."""
SRID = 4326
