"""The VTK XML file formats, written directly (no dependency): ImageData (``.vti``),
UnstructuredGrid of vertices (``.vtu``) and the ParaView collection (``.pvd``).

Arrays are inline base64 ("binary" format, VTK file version 1.0, little-endian, 64-bit
headers, uncompressed): one base64 stream per array holding the byte count (UInt64) and then
the values. Design choice: inline base64 keeps every file valid XML (appended raw data is
not) and is read by VTK/ParaView and by meshio; compression would save disk but costs time
and a second header layout. References: the "VTK File Formats" chapter of the VTK User's
Guide (XML formats; the ``header_type`` attribute since VTK 6).
"""
from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

VTK_TYPES = {
    np.dtype(np.int8): "Int8", np.dtype(np.uint8): "UInt8", np.dtype(np.int16): "Int16",
    np.dtype(np.uint16): "UInt16", np.dtype(np.int32): "Int32", np.dtype(np.uint32): "UInt32",
    np.dtype(np.int64): "Int64", np.dtype(np.uint64): "UInt64", np.dtype(np.float32): "Float32",
    np.dtype(np.float64): "Float64",
}
"""numpy dtype → VTK XML ``type`` name (booleans are written as UInt8 0/1)."""
VTK_VERTEX = 1
"""VTK cell type of a single point (vtkCellType.h)."""
HEADER = (b'<?xml version="1.0"?>\n<VTKFile type="%s" version="1.0" byte_order="LittleEndian" '
          b'header_type="UInt64">\n')

Arrays = Iterable[tuple[str, np.ndarray]]
"""(name, values) pairs, produced lazily so that a file holds only one array in memory at a time."""


def data_array(name: str, values: np.ndarray, components: int = 1, tuples: bool = False) -> bytes:
    """One ``<DataArray>`` element of ``values`` (flattened, C order), base64 with its UInt64
    byte count. ``components`` values per tuple; ``tuples``: state NumberOfTuples (needed
    in FieldData)."""
    values = np.asarray(values)
    if values.dtype == np.bool_:
        values = values.astype(np.uint8)
    try:
        vtk_type = VTK_TYPES[values.dtype.newbyteorder("=")]
    except KeyError:
        raise TypeError(f"array {name!r}: dtype {values.dtype} has no VTK type") from None
    raw = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).tobytes()
    # NumberOfComponents defaults to 1; leaving it out makes meshio read 1-D arrays, not (n, 1).
    shape = f' NumberOfComponents="{components}"' if components != 1 else ""
    count = f' NumberOfTuples="{values.size // components}"' if tuples else ""
    head = f'<DataArray type="{vtk_type}" Name={quoteattr(name)}{shape}{count} format="binary">'.encode()
    return head + base64.b64encode(np.uint64(len(raw)).tobytes() + raw) + b"</DataArray>\n"


def _num(value) -> str:
    """A number as XML text that reads back to the same float64 (numpy scalars included)."""
    return repr(float(value))


def _field_data(field_data: Arrays) -> bytes:
    arrays = b"".join(data_array(name, np.atleast_1d(values), tuples=True) for name, values in field_data)
    return b"<FieldData>\n" + arrays + b"</FieldData>\n" if arrays else b""


def write_image(path: Path, shape: tuple[int, int], origin: tuple[float, float],
                spacing: tuple[float, float], cell_arrays: Arrays, field_data: Arrays = ()) -> None:
    """Write a 2-D VTK ImageData file (``.vti``) of ``shape`` = (ny, nx) pixels.

    The image has (nx + 1) × (ny + 1) × 1 points: ``origin`` (µm) is the corner of pixel
    [0, 0] and ``spacing`` (dx, dy) µm the pixel size (also used as the z spacing, which a
    one-layer image never spans). ``cell_arrays``: (name, [ny, nx] array) pairs, one value
    per pixel (VTK orders pixels x fastest, as C order of [y, x] does).
    ``field_data``: (name, 1-D array) pairs for the whole data set.
    """
    ny, nx = shape
    extent = f"0 {nx} 0 {ny} 0 0"
    with open(path, "wb") as out:
        out.write(HEADER % b"ImageData")
        out.write((f'<ImageData WholeExtent="{extent}" Origin="{_num(origin[0])} {_num(origin[1])} 0" '
                   f'Spacing="{_num(spacing[0])} {_num(spacing[1])} {_num(spacing[0])}" '
                   f'Direction="1 0 0 0 1 0 0 0 1">\n').encode())
        out.write(_field_data(field_data))
        out.write(f'<Piece Extent="{extent}">\n<PointData>\n</PointData>\n<CellData>\n'.encode())
        for name, values in cell_arrays:
            if np.shape(values) != (ny, nx):
                raise ValueError(f"cell array {name!r} has shape {np.shape(values)}, expected {shape}")
            out.write(data_array(name, values))
        out.write(b"</CellData>\n</Piece>\n</ImageData>\n</VTKFile>\n")


def write_points(path: Path, points: np.ndarray, point_arrays: Arrays, field_data: Arrays = ()) -> None:
    """Write a VTK UnstructuredGrid file (``.vtu``) of one vertex cell per point.

    ``points``: float array of shape (n, 3) (µm). ``point_arrays``: (name, shape (n,) array)
    pairs, one value per point. ``field_data``: (name, 1-D array) pairs for the data set.
    """
    n = len(points)
    with open(path, "wb") as out:
        out.write(HEADER % b"UnstructuredGrid")
        out.write(b"<UnstructuredGrid>\n" + _field_data(field_data))
        out.write(f'<Piece NumberOfPoints="{n}" NumberOfCells="{n}">\n<PointData>\n'.encode())
        for name, values in point_arrays:
            if np.shape(values) != (n,):
                raise ValueError(f"point array {name!r} has shape {np.shape(values)}, expected ({n},)")
            out.write(data_array(name, values))
        out.write(b"</PointData>\n<CellData>\n</CellData>\n<Points>\n")
        out.write(data_array("Points", points, components=3))
        out.write(b"</Points>\n<Cells>\n")
        out.write(data_array("connectivity", np.arange(n, dtype=np.int64)))
        out.write(data_array("offsets", np.arange(1, n + 1, dtype=np.int64)))
        out.write(data_array("types", np.full(n, VTK_VERTEX, np.uint8)))
        out.write(b"</Cells>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n")


def write_collection(path: Path, entries: Iterable[tuple[float, str]]) -> None:
    """Write a ParaView collection (``.pvd``): one ``DataSet`` per (time, file name relative
    to the collection) entry, so ParaView opens the files as one time series."""
    rows = "".join(f'<DataSet timestep="{_num(time)}" group="" part="0" file={quoteattr(name)}/>\n'
                   for time, name in entries)
    path.write_text('<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1" '
                    f'byte_order="LittleEndian">\n<Collection>\n{rows}</Collection>\n</VTKFile>\n',
                    encoding="utf-8")
