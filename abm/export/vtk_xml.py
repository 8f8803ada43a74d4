"""The VTK XML file formats, written directly (no dependency): ImageData (``.vti``),
UnstructuredGrid of vertices (``.vtu``) and the ParaView collection (``.pvd``).

Arrays are inline base64 ("binary" format, VTK file version 1.0, little-endian, 64-bit
headers). Uncompressed (``level`` 0): one base64 stream per array holding the byte count
(UInt64) and then the values. zlib-compressed (``level`` 1–9, ``compressor=
"vtkZLibDataCompressor"``): the values cut in blocks of :data:`BLOCK_BYTES`, each compressed
alone; a base64 header [number of blocks, block size, size of the last block, compressed size
of each block] (UInt64) followed by the base64 of the compressed blocks. Design choice:
inline base64 keeps every file valid XML (appended raw data is not) and is read by
VTK/ParaView and by meshio. References: the "VTK File Formats" chapter of the VTK User's
Guide (XML formats; the ``header_type`` attribute since VTK 6), vtkXMLWriter (compressed
block layout).
"""
from __future__ import annotations

import base64
import zlib
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
BLOCK_BYTES = 32768
"""Uncompressed bytes per compressed block: vtkXMLWriter's default block size."""

Arrays = Iterable[tuple[str, np.ndarray]]
"""(name, values) pairs, produced lazily so that a file holds only one array in memory at a time."""


def _header(kind: str, level: int) -> bytes:
    compressor = ' compressor="vtkZLibDataCompressor"' if level else ""
    return (f'<?xml version="1.0"?>\n<VTKFile type="{kind}" version="1.0" byte_order="LittleEndian" '
            f'header_type="UInt64"{compressor}>\n').encode()


def _payload(raw: bytes, level: int) -> bytes:
    """The base64 text of ``raw`` with its header, zlib-compressed at ``level`` (0: not)."""
    if not level:
        return base64.b64encode(np.uint64(len(raw)).tobytes() + raw)
    view = memoryview(raw)
    blocks = [zlib.compress(view[i:i + BLOCK_BYTES], level) for i in range(0, len(raw), BLOCK_BYTES)]
    last = len(raw) - (len(blocks) - 1) * BLOCK_BYTES if blocks else 0
    header = np.array([len(blocks), BLOCK_BYTES, last, *map(len, blocks)], np.uint64)
    return base64.b64encode(header.tobytes()) + base64.b64encode(b"".join(blocks))


def data_array(name: str, values: np.ndarray, components: int = 1, tuples: bool = False,
               level: int = 0) -> bytes:
    """One ``<DataArray>`` element of ``values`` (flattened, C order), base64 with its UInt64
    header, zlib-compressed at ``level`` (0: not; the file must then declare the compressor).
    ``components`` values per tuple; ``tuples``: state NumberOfTuples (needed in FieldData)."""
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
    return head + _payload(raw, level) + b"</DataArray>\n"


def _num(value) -> str:
    """A number as XML text that reads back to the same float64 (numpy scalars included)."""
    return repr(float(value))


def _field_data(field_data: Arrays, level: int) -> bytes:
    arrays = b"".join(data_array(name, np.atleast_1d(values), tuples=True, level=level)
                      for name, values in field_data)
    return b"<FieldData>\n" + arrays + b"</FieldData>\n" if arrays else b""


def write_image(path: Path, shape: tuple[int, int], origin: tuple[float, float],
                spacing: tuple[float, float], cell_arrays: Arrays, field_data: Arrays = (),
                level: int = 0) -> None:
    """Write a 2-D VTK ImageData file (``.vti``) of ``shape`` = (ny, nx) pixels.

    The image has (nx + 1) × (ny + 1) × 1 points: ``origin`` (µm) is the corner of pixel
    [0, 0] and ``spacing`` (dx, dy) µm the pixel size (also used as the z spacing, which a
    one-layer image never spans). ``cell_arrays``: (name, [ny, nx] array) pairs, one value
    per pixel (VTK orders pixels x fastest, as C order of [y, x] does).
    ``field_data``: (name, 1-D array) pairs for the whole data set. ``level``: zlib level of
    every array (0: not compressed).
    """
    ny, nx = shape
    extent = f"0 {nx} 0 {ny} 0 0"
    with open(path, "wb") as out:
        out.write(_header("ImageData", level))
        out.write((f'<ImageData WholeExtent="{extent}" Origin="{_num(origin[0])} {_num(origin[1])} 0" '
                   f'Spacing="{_num(spacing[0])} {_num(spacing[1])} {_num(spacing[0])}" '
                   f'Direction="1 0 0 0 1 0 0 0 1">\n').encode())
        out.write(_field_data(field_data, level))
        out.write(f'<Piece Extent="{extent}">\n<PointData>\n</PointData>\n<CellData>\n'.encode())
        for name, values in cell_arrays:
            if np.shape(values) != (ny, nx):
                raise ValueError(f"cell array {name!r} has shape {np.shape(values)}, expected {shape}")
            out.write(data_array(name, values, level=level))
        out.write(b"</CellData>\n</Piece>\n</ImageData>\n</VTKFile>\n")


def write_points(path: Path, points: np.ndarray, point_arrays: Arrays, field_data: Arrays = (),
                 level: int = 0) -> None:
    """Write a VTK UnstructuredGrid file (``.vtu``) of one vertex cell per point.

    ``points``: float array of shape (n, 3) (µm). ``point_arrays``: (name, shape (n,) array)
    pairs, one value per point. ``field_data``: (name, 1-D array) pairs for the data set.
    ``level``: zlib level of every array (0: not compressed).
    """
    n = len(points)
    with open(path, "wb") as out:
        out.write(_header("UnstructuredGrid", level))
        out.write(b"<UnstructuredGrid>\n" + _field_data(field_data, level))
        out.write(f'<Piece NumberOfPoints="{n}" NumberOfCells="{n}">\n<PointData>\n'.encode())
        for name, values in point_arrays:
            if np.shape(values) != (n,):
                raise ValueError(f"point array {name!r} has shape {np.shape(values)}, expected ({n},)")
            out.write(data_array(name, values, level=level))
        out.write(b"</PointData>\n<CellData>\n</CellData>\n<Points>\n")
        out.write(data_array("Points", points, components=3, level=level))
        out.write(b"</Points>\n<Cells>\n")
        out.write(data_array("connectivity", np.arange(n, dtype=np.int64), level=level))
        out.write(data_array("offsets", np.arange(1, n + 1, dtype=np.int64), level=level))
        out.write(data_array("types", np.full(n, VTK_VERTEX, np.uint8), level=level))
        out.write(b"</Cells>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n")


def write_collection(path: Path, entries: Iterable[tuple[float, str]]) -> None:
    """Write a ParaView collection (``.pvd``): one ``DataSet`` per (time, file name relative
    to the collection) entry, so ParaView opens the files as one time series."""
    rows = "".join(f'<DataSet timestep="{_num(time)}" group="" part="0" file={quoteattr(name)}/>\n'
                   for time, name in entries)
    path.write_text('<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1" '
                    f'byte_order="LittleEndian">\n<Collection>\n{rows}</Collection>\n</VTKFile>\n',
                    encoding="utf-8")
